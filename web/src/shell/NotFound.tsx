import { t } from "../i18n";
import { homeOf, identity } from "../auth";

export function NotFound() {
  return (
    <section class="notfound" data-testid="not-found">
      <h1>{t("notfound.title")}</h1>
      <p>{t("notfound.body")}</p>
      <a href={homeOf(identity())}>{t("notfound.back")}</a>
    </section>
  );
}
