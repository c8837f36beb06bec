// Putting a canned reply into what the agent has typed: at the cursor (replacing a selection), on its own line.

export interface Inserted {
  value: string;
  cursor: number;
}

export function insertAt(value: string, text: string, start: number, end: number = start): Inserted {
  const from = Math.max(0, Math.min(start, value.length));
  const to = Math.max(from, Math.min(end, value.length));
  const before = value.slice(0, from);
  const after = value.slice(to);
  // A reply dropped mid-line would run into the agent's words: start it on a line of its own.
  const lead = before && !before.endsWith("\n") ? "\n" : "";
  const trail = after && !after.startsWith("\n") ? "\n" : "";
  const inserted = `${lead}${text}${trail}`;
  return { value: before + inserted + after, cursor: before.length + lead.length + text.length };
}
