import type { Ref } from "preact";
import { useImperativeHandle, useRef, useState } from "preact/hooks";
import { addMessage, type TimelineEntry } from "../api/tickets";
import { renderReply } from "../api/replies";
import { t } from "../i18n";
import { ErrorMessage } from "../shell/ErrorMessage";
import { CannedReplies } from "./CannedReplies";
import { insertAt } from "./insert";

/** What the ticket screen (shortcuts, suggestions) does with the editor. */
export interface ReplyEditorHandle {
  focus: (visibility: "public" | "internal") => void;
  /** Fill a canned reply in for this ticket and insert it where the cursor is. */
  insertReply: (replyId: string) => Promise<void>;
  focusSearch: () => void;
}

/** A public reply or an internal note; the two look apart so that a note is never sent to a customer by mistake. */
export function ReplyEditor(props: {
  ticketId: string;
  groupId: string | null | undefined;
  onSent: (entry: TimelineEntry) => void;
  handle?: Ref<ReplyEditorHandle>;
}) {
  const { ticketId, onSent } = props;
  const [visibility, setVisibility] = useState<"public" | "internal">("public");
  const textarea = useRef<HTMLTextAreaElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const [body, setBody] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function insertReply(replyId: string) {
    try {
      const text = await renderReply(replyId, ticketId);
      const element = textarea.current;
      const at = element ? element.selectionStart : body.length;
      const next = insertAt(element?.value ?? body, text, at, element ? element.selectionEnd : at);
      setBody(next.value);
      setError(null);
      // After Preact has written the value: the cursor goes after the inserted text, ready to edit it.
      requestAnimationFrame(() => {
        element?.focus();
        element?.setSelectionRange(next.cursor, next.cursor);
      });
    } catch (err) {
      setError(err);
    }
  }

  useImperativeHandle(props.handle ?? null, () => ({
    focus: (wanted) => {
      setVisibility(wanted);
      textarea.current?.focus();
    },
    insertReply,
    focusSearch: () => {
      // The search sits in a collapsed <details>: open it first, or the field cannot take focus.
      const details = search.current?.closest("details");
      if (details) details.open = true;
      search.current?.focus();
    },
  }));

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
      <CannedReplies groupId={props.groupId} inputRef={search} onInsert={insertReply} />
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
