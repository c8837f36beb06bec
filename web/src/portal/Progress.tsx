import type { Ticket } from "../api/tickets";
import { t, type MessageKey } from "../i18n";
import { dateTime } from "../lib/format";
import { STEPS, currentStep, nextStep } from "./progress";

export function Progress({ ticket }: { ticket: Ticket }) {
  const current = STEPS.indexOf(currentStep(ticket.status));
  const next = nextStep(ticket);
  return (
    <section aria-label={t("portal.progress")} data-testid="progress">
      <ol class="progress">
        {STEPS.map((step, index) => (
          <li
            key={step}
            class={index < current ? "done" : index === current ? "current" : "todo"}
            aria-current={index === current ? "step" : undefined}
          >
            {t(`portal.step.${step}` as MessageKey)}
          </li>
        ))}
      </ol>
      <p data-testid="next-step">
        <strong>{t("portal.next")}:</strong> {t(next.key, { due: next.due ? dateTime(next.due) : "" })}
      </p>
    </section>
  );
}
