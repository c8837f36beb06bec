import type { Ref } from "preact";
import { useImperativeHandle, useRef, useState } from "preact/hooks";
import { addMessage, type TimelineEntry } from "../api/tickets";
import { t } from "../i18n";
import { ErrorMessage } from "../shell/ErrorMessage";

/** What the ticket screen's shortcuts do with the editor. */
export interface ReplyEditorHandle {
  focus: (visibility: "public" | "internal") => void;
}

/** A public reply or an internal note; the two look apart so that a note is never sent to a customer by mistake. */
export function ReplyEditor(props: {
  ticketId: string;
  onSent: (entry: TimelineEntry) => void;
  handle?: Ref<ReplyEditorHandle>;
}) {
  const { ticketId, onSent } = props;
  const [visibility, setVisibility] = useState<"public" | "internal">("public");
  const textarea = useRef<HTMLTextAreaElement>(null);
  useImperativeHandle(props.handle ?? null, () => ({
    focus: (wanted) => {
      setVisibility(wanted);
      textarea.current?.focus();
    },
  }));
  const [body, setBody] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function send(event: Event) {
    event.preventDefault();
    if (!body.trim()) return;
    setBusy(true);
    try {
      onSent(await addMessage(ticketId, { body, visibility }));
      setBody("");
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="editor-title" class={`editor editor-${visibility}`}>
      <h2 id="editor-title">{t("editor.title")}</h2>
      <form onSubmit={send}>
        <fieldset>
          <label>
            <input
              type="radio"
              name="visibility"
              data-testid="visibility-public"
              checked={visibility === "public"}
              onChange={() => setVisibility("public")}
            />
            {t("editor.public")}
          </label>
          <label>
            <input
              type="radio"
              name="visibility"
              data-testid="visibility-internal"
              checked={visibility === "internal"}
              onChange={() => setVisibility("internal")}
            />
            {t("editor.internal")}
          </label>
        </fieldset>
        <label>
          {t("editor.body")}
          <textarea
            ref={textarea}
            data-testid="reply-body"
            rows={4}
            value={body}
            placeholder={t(visibility === "public" ? "editor.placeholderPublic" : "editor.placeholderInternal")}
            onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)}
          />
        </label>
        <ErrorMessage error={error} />
        <button type="submit" data-testid="send-reply" aria-busy={busy} disabled={busy || !body.trim()}>
          {t("editor.send")}
        </button>
      </form>
    </section>
  );
}
