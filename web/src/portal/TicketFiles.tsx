import { useState } from "preact/hooks";
import type { Ticket, TimelineEntry } from "../api/tickets";
import { t } from "../i18n";
import { ErrorMessage } from "../shell/ErrorMessage";
import { downloadLink, type Attachment } from "./attachmentsApi";
import { formatBytes } from "./files";

/** Every stored file of the ticket and of the entries the customer sees, each once, in order. */
export function ticketFiles(ticket: Ticket, entries: TimelineEntry[]): Attachment[] {
  const seen = new Set<string>();
  const files: Attachment[] = [];
  for (const file of [...(ticket.attachments ?? []), ...entries.flatMap((entry) => entry.attachments ?? [])]) {
    if (file.key && !seen.has(file.key)) {
      seen.add(file.key);
      files.push(file);
    }
  }
  return files;
}

/** The ticket's files, each downloaded through a short-lived link asked for when it is clicked. */
export function TicketFiles(props: { ticket: Ticket; entries: TimelineEntry[] }) {
  const [error, setError] = useState<unknown>(null);
  const files = ticketFiles(props.ticket, props.entries);
  if (files.length === 0) return null;

  async function open(file: Attachment) {
    try {
      const link = await downloadLink(props.ticket.id, file.key ?? "");
      window.location.assign(link.url);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section aria-labelledby="files-title" data-testid="ticket-files">
      <h2 id="files-title">{t("files.title")}</h2>
      <ErrorMessage error={error} />
      <ul>
        {files.map((file) => (
          <li key={file.key}>
            <a
              href="#"
              data-testid="download"
              aria-label={t("files.download", { name: file.name })}
              onClick={(event) => {
                event.preventDefault();
                void open(file);
              }}
            >
              {file.name}
            </a>{" "}
            <small>({formatBytes(file.size)})</small>
          </li>
        ))}
      </ul>
    </section>
  );
}
