import { useState } from "preact/hooks";
import { RESOLUTION_KINDS, type ResolutionKind } from "../api/tickets";
import type { components } from "../api/schema";
import { t, tv } from "../i18n";
import { Modal } from "../shell/Modal";

type Resolution = components["schemas"]["Resolution"];
const WITH_AMOUNT: ResolutionKind[] = ["refund", "coupon", "points"];

export function ResolveDialog(props: { onCancel: () => void; onResolve: (resolution: Resolution, note?: string) => void }) {
  const [kind, setKind] = useState<ResolutionKind>("answer");
  const [amount, setAmount] = useState("");
  const [note, setNote] = useState("");

  function submit(event: Event) {
    event.preventDefault();
    const resolution: Resolution = { kind, note: note || null };
    if (WITH_AMOUNT.includes(kind) && amount) {
      resolution.amount = Number(amount);
      if (kind === "refund" || kind === "coupon") resolution.currency = "CNY";
    }
    props.onResolve(resolution, note || undefined);
  }

  return (
    <Modal labelledBy="resolve-title" testid="resolve-dialog" onCancel={props.onCancel}>
      <article>
        <h2 id="resolve-title">{t("resolve.title")}</h2>
        <form onSubmit={submit}>
          <label>
            {t("resolve.kind")}
            <select data-testid="resolution-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value as ResolutionKind)}>
              {RESOLUTION_KINDS.map((k) => (
                <option key={k} value={k}>
                  {tv("resolution", k)}
                </option>
              ))}
            </select>
          </label>
          {WITH_AMOUNT.includes(kind) && (
            <label>
              {t("resolve.amount")}
              <input type="number" min="0" step="0.01" data-testid="resolution-amount" value={amount} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
            </label>
          )}
          <label>
            {t("resolve.note")}
            <textarea data-testid="resolution-note" value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} />
          </label>
          <footer>
            <button type="button" class="secondary" onClick={props.onCancel}>
              {t("dialog.cancel")}
            </button>
            <button type="submit" data-testid="resolve-confirm">
              {t("resolve.confirm")}
            </button>
          </footer>
        </form>
      </article>
    </Modal>
  );
}
