import { MONTH_PATTERN } from "./month";
import { qt } from "./messages";

/** The month a QA screen shows (a native month input; only a whole YYYY-MM is taken). */
export function MonthField({ month, onMonth, testid }: { month: string; onMonth: (month: string) => void; testid: string }) {
  return (
    <label>
      {qt("qa.filter.month")}
      <input
        type="month"
        data-testid={testid}
        value={month}
        required
        onChange={(e) => {
          const value = (e.target as HTMLInputElement).value;
          if (MONTH_PATTERN.test(value)) onMonth(value);
        }}
      />
    </label>
  );
}
