import type { RefObject } from "preact";
import { useEffect, useState } from "preact/hooks";
import { searchReplies, type Reply } from "../api/replies";
import { t } from "../i18n";
import { ErrorMessage } from "../shell/ErrorMessage";

const DEBOUNCE_MS = 250;

/** Canned replies (话术) of the ticket's group, searched as the agent types; inserting fills their placeholders. */
export function CannedReplies(props: {
  groupId: string | null | undefined;
  inputRef: RefObject<HTMLInputElement>;
  onInsert: (replyId: string) => Promise<void>;
}) {
  const [q, setQ] = useState("");
  const [replies, setReplies] = useState<Reply[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let current = true;
    const timer = setTimeout(() => {
      searchReplies(q, props.groupId).then(
        (found) => current && (setReplies(found), setError(null)),
        (err) => current && setError(err),
      );
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [q, props.groupId]);

  return (
    <details class="canned" data-testid="canned-replies">
      <summary>{t("canned.title")}</summary>
      <input
        ref={props.inputRef}
        type="search"
        data-testid="canned-search"
        aria-label={t("canned.search")}
        placeholder={t("canned.search")}
        value={q}
        onInput={(e) => setQ((e.target as HTMLInputElement).value)}
      />
      <ErrorMessage error={error} />
      {replies && replies.length === 0 && <p>{t("canned.none")}</p>}
      <ul class="cards">
        {(replies ?? []).map((reply) => (
          <li key={reply.id} data-reply={reply.id}>
            <strong>{reply.title}</strong> <small class="preview">{reply.body}</small>{" "}
            <button
              type="button"
              class="outline"
              data-testid="canned-insert"
              aria-label={t("canned.insertNamed", { title: reply.title })}
              onClick={() => void props.onInsert(reply.id)}
            >
              {t("canned.insert")}
            </button>
          </li>
        ))}
      </ul>
    </details>
  );
}
