import { render } from "preact";
import "@picocss/pico/css/pico.min.css";
import "./styles.css";
import { loadConfig } from "./config";
import { signIn } from "./auth";
import { lang } from "./i18n";
import { demoToken } from "./signin/local";
import { App } from "./app";

/** `?as=<demo user>` signs in directly (local stack only), then leaves the address as it was without it. */
async function signInAsRequested(localSignIn: boolean): Promise<void> {
  const url = new URL(window.location.href);
  const user = url.searchParams.get("as");
  if (!user || !localSignIn) return;
  signIn(await demoToken(user));
  url.searchParams.delete("as");
  window.history.replaceState(null, "", url.pathname + url.search + url.hash);
}

async function start(): Promise<void> {
  document.documentElement.lang = lang();
  const config = await loadConfig();
  await signInAsRequested(config.localSignIn);
  render(<App />, document.getElementById("app")!);
}

void start();
