import { useEffect, useState } from "preact/hooks";
import { AVAILABILITIES, listGroups, roster, setAvailability, type Availability } from "../api/agents";
import { identity } from "../auth";
import { t, tv } from "../i18n";
import { errorText } from "../shell/ErrorMessage";

interface Standing {
  availability: Availability;
  load: number;
  capacity: number;
}

/** The signed-in agent's availability and load: read from their groups' rosters, set with PUT /agents/me/availability. */
export function AvailabilityToggle() {
  const [standing, setStanding] = useState<Standing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const me = identity()?.sub;

  useEffect(() => {
    (async () => {
      for (const group of await listGroups()) {
        // A roster the agent may not read (a group they are not in) is simply passed over.
        const members = await roster(group.id).catch(() => []);
        const found = members.find((member) => member.agentId === me);
        if (found) return setStanding(found);
      }
    })().catch(() => setStanding(null));
  }, [me]);

  if (!standing) return null;
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
        {AVAILABILITIES.map((value) => (
          <option key={value} value={value}>
            {tv("availability", value)}
          </option>
        ))}
      </select>{" "}
      <small>{t("availability.load", { load: standing.load, capacity: standing.capacity })}</small>
      {error && <small role="alert">{error}</small>}
    </span>
  );
}
