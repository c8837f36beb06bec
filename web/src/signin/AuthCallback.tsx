import { useEffect, useState } from "preact/hooks";
import { config } from "../config";
import { decodeIdentity, homeOf, signIn } from "../auth";
import { t } from "../i18n";
import { Layout } from "../shell/Layout";
import { exchangeCode, keepRefreshToken, readCallback, takePending, type CallbackProblem } from "./cognito";
import { safeNext } from "./local";

/** Where Cognito sends people back: the code is exchanged (with the PKCE verifier) and they go where they were. */
export function AuthCallback() {
  const [problem, setProblem] = useState<CallbackProblem | "exchange" | null>(null);

  useEffect(() => {
    const cognito = config().cognito;
    const pending = takePending();
    const read = readCallback(window.location.search, pending);
    if (!cognito || "problem" in read || !pending) {
      setProblem("problem" in read ? read.problem : "missing");
      return;
    }
    exchangeCode(cognito, read.code, pending.verifier).then(
      (tokens) => {
        signIn(tokens.id_token);
        keepRefreshToken(tokens.refresh_token);
        window.location.replace(safeNext(pending.next, homeOf(decodeIdentity(tokens.id_token))));
      },
      () => setProblem("exchange"),
    );
  }, []);

  return (
    <Layout>
      <h1>{t("signin.title")}</h1>
      {!problem && <p aria-busy="true">{t("signin.completing")}</p>}
      {problem && (
        <article class="error" role="alert" data-testid="callback-problem">
          <p>{t(problem === "denied" ? "signin.denied" : "signin.failed")}</p>
          <a href="/sign-in">{t("signin.again")}</a>
        </article>
      )}
    </Layout>
  );
}
