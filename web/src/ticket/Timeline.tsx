import type { TimelineEntry } from "../api/tickets";
import { t, tv } from "../i18n";
import { dateTime } from "../lib/format";

/** Who wrote an entry, as the reader should see it: the customer sees "you" and "agent", staff see ids. */
function author(entry: TimelineEntry, customerView: boolean, me: string | undefined): string {
  if (!entry.authorId) return t("timeline.system");
  if (customerView) return entry.authorId === me ? t("timeline.you") : t("timeline.agent");
  return entry.authorId;
}

function statusText(entry: TimelineEntry): string {
  const to = typeof entry.data?.to === "string" ? entry.data.to : null;
  return to ? `→ ${tv("status", to)}` : "";
}

export function Timeline(props: { entries: TimelineEntry[]; customerView?: boolean; me?: string }) {
  if (props.entries.length === 0) return <p>{t("timeline.empty")}</p>;
  return (
    <ol class="timeline" data-testid="timeline">
      {props.entries.map((entry) => (
        <li key={entry.id} class={`entry entry-${entry.visibility} kind-${entry.kind}`} data-kind={entry.kind}>
          <header>
            <strong>{tv("timeline.kind", entry.kind)}</strong>{" "}
            {!props.customerView && (
              <span class={`badge visibility-${entry.visibility}`}>{tv("timeline", entry.visibility)}</span>
            )}{" "}
            <small>
              {author(entry, !!props.customerView, props.me)} · <time dateTime={entry.createdAt}>{dateTime(entry.createdAt)}</time>
            </small>
          </header>
          {entry.kind === "status" && <p>{statusText(entry)}</p>}
          {entry.body && <p class="body">{entry.body}</p>}
          {entry.attachments && entry.attachments.length > 0 && (
            <ul aria-label={t("timeline.attachments")}>
              {entry.attachments.map((file) => (
                <li key={file.name}>{file.url ? <a href={file.url}>{file.name}</a> : file.name}</li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ol>
  );
}
