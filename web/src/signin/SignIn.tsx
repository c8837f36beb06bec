import { useEffect, useState } from "preact/hooks";
import { config } from "../config";
import { decodeIdentity, homeOf, signIn } from "../auth";
import { t, type MessageKey } from "../i18n";
import { Layout } from "../shell/Layout";
import { ErrorMessage } from "../shell/ErrorMessage";
import { demoToken, demoUsers, safeNext, type DemoUser } from "./local";
import { beginSignIn } from "./cognito";

export function SignIn() {
  const params = new URLSearchParams(window.location.search);
  const [users, setUsers] = useState<DemoUser[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (config().localSignIn) demoUsers().then(setUsers, setError);
  }, []);

  async function choose(user: DemoUser) {
    try {
      const jwt = await demoToken(user.id);
      signIn(jwt);
      window.location.assign(safeNext(params.get("next"), homeOf(decodeIdentity(jwt))));
    } catch (err) {
      setError(err);
    }
  }

  return (
    <Layout>
      <h1>{t("signin.title")}</h1>
      {params.get("expired") && (
        <p role="status" data-testid="expired">
          {t("signin.expired")}
        </p>
      )}
      {config().cognito && (
        <p>
          <button
            type="button"
            data-testid="cognito-sign-in"
            onClick={() => beginSignIn(config().cognito!, safeNext(params.get("next"), "/")).catch(setError)}
          >
            {t("signin.cognito")}
          </button>
        </p>
      )}
      {!config().localSignIn && !config().cognito && <p>{t("signin.unavailable")}</p>}
      {config().localSignIn && <p>{t("signin.local")}</p>}
      <ErrorMessage error={error} />
      {users && (
        <ul class="users" data-testid="demo-users">
          {users.map((user) => (
            <li key={user.id}>
              <button type="button" class="outline" data-user={user.id} onClick={() => choose(user)}>
                {t("signin.as", { name: user.name })}
              </button>{" "}
              <small>
                {t(`role.${user.role}` as MessageKey)} · {user.email}
              </small>
            </li>
          ))}
        </ul>
      )}
    </Layout>
  );
}
