import { useEffect, useState } from "preact/hooks";
import { AVAILABILITIES, listGroups, roster, setAvailability, type Availability } from "../api/agents";
import { identity, isSupervisor } from "../auth";
import { t, tv } from "../i18n";
import { errorText } from "../shell/ErrorMessage";

interface Standing {
  availability: Availability | "";
  load: number | null;
  capacity: number | null;
}

const UNKNOWN: Standing = { availability: "", load: null, capacity: null };

/** The signed-in agent's availability and load, set with PUT /agents/me/availability (its answer carries both).
 * Rosters are for supervisors, so only they see their standing before changing it; an agent sees it after. */
export function AvailabilityToggle() {
  const [standing, setStanding] = useState<Standing>(UNKNOWN);
  const [error, setError] = useState<string | null>(null);
  const who = identity();

  useEffect(() => {
    if (!isSupervisor(who)) return;
    (async () => {
      for (const group of await listGroups()) {
        const members = await roster(group.id).catch(() => []);
        const found = members.find((member) => member.agentId === who?.sub);
        if (found) return setStanding(found);
      }
    })().catch(() => setStanding(UNKNOWN));
  }, [who?.sub]);

  return (
    <span class="availability">
      <select
        aria-label={t("availability.label")}
        data-testid="availability"
        value={standing.availability}
        onChange={async (event) => {
          try {
            const agent = await setAvailability((event.target as HTMLSelectElement).value as Availability);
            setStanding({ availability: agent.availability, load: agent.load, capacity: agent.capacity });
            setError(null);
          } catch (err) {
            setError(errorText(err));
          }
        }}
      >
        {standing.availability === "" && <option value="">{t("availability.label")}</option>}
        {AVAILABILITIES.map((value) => (
          <option key={value} value={value}>
            {tv("availability", value)}
          </option>
        ))}
      </select>{" "}
      {standing.load !== null && (
        <small data-testid="load">{t("availability.load", { load: standing.load, capacity: standing.capacity ?? 0 })}</small>
      )}
      {error && <small role="alert">{error}</small>}
    </span>
  );
}
