import { useEffect, useState } from "preact/hooks";
import { customerTickets, getCustomer, type CustomerProfile } from "../api/customers";
import type { Ticket } from "../api/tickets";
import { t, tv } from "../i18n";
import { dateTime } from "../lib/format";
import { ErrorMessage } from "../shell/ErrorMessage";

/** Who the customer is (profile, tier) and what else they asked about: their other tickets, newest first. */
export function CustomerPanel(props: { customerId: string; ticketId: string }) {
  const [profile, setProfile] = useState<CustomerProfile | null>(null);
  const [others, setOthers] = useState<Ticket[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let current = true;
    Promise.all([getCustomer(props.customerId), customerTickets(props.customerId)]).then(
      ([found, tickets]) => {
        if (!current) return;
        setProfile(found);
        setOthers(tickets.filter((ticket) => ticket.id !== props.ticketId));
        setError(null);
      },
      (err) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [props.customerId, props.ticketId]);

  return (
    <section aria-labelledby="customer-title" data-testid="customer-panel">
      <h2 id="customer-title">{t("customer.title")}</h2>
      <ErrorMessage error={error} />
      {profile && (
        <dl class="ticket-header">
          <div>
            <dt>{t("customer.name")}</dt>
            <dd data-testid="customer-name">{profile.name ?? t("ticket.none")}</dd>
          </div>
          <div>
            <dt>{t("customer.tier")}</dt>
            <dd data-testid="customer-tier">{tv("tier", profile.tier)}</dd>
          </div>
          <div>
            <dt>{t("customer.email")}</dt>
            <dd>{profile.email ?? t("ticket.none")}</dd>
          </div>
          <div>
            <dt>{t("customer.phone")}</dt>
            <dd>{profile.phone ?? t("ticket.none")}</dd>
          </div>
          <div>
            <dt>{t("customer.ticketCount")}</dt>
            <dd>{profile.ticketCount}</dd>
          </div>
          <div>
            <dt>{t("customer.lastContact")}</dt>
            <dd>{dateTime(profile.lastContactAt) || t("ticket.none")}</dd>
          </div>
          {profile.tags && profile.tags.length > 0 && (
            <div>
              <dt>{t("ticket.tags")}</dt>
              <dd>{profile.tags.join(", ")}</dd>
            </div>
          )}
          {profile.note && (
            <div>
              <dt>{t("customer.note")}</dt>
              <dd class="body">{profile.note}</dd>
            </div>
          )}
        </dl>
      )}
      {others && (
        <>
          <h3>{t("customer.others")}</h3>
          {others.length === 0 ? (
            <p>{t("customer.noOthers")}</p>
          ) : (
            <ul data-testid="customer-tickets">
              {others.map((ticket) => (
                <li key={ticket.id}>
                  <a href={`/tickets/${encodeURIComponent(ticket.id)}`}>{ticket.subject}</a>{" "}
                  <small>
                    {tv("status", ticket.status)} · {dateTime(ticket.createdAt)}
                  </small>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
