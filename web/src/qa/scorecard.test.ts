import { describe, expect, it } from "vitest";
import type { Scorecard } from "../api/qa";
import { QA_CATALOGUES } from "./messages";
import { compare, scorecardRows } from "./scorecard";

const figure = (agent: number | null, group: number | null) => ({ agent, group });
const CARD: Scorecard = {
  month: "2026-11",
  agentId: "agent-li",
  agents: 4,
  qaScore: figure(86, 80.5),
  qaReviews: figure(3, 2.5),
  passRate: figure(0.5, 0.75),
  csat: figure(4.5, 4.5),
  firstResponseSeconds: figure(600, 900),
  handleSeconds: figure(1200, 900),
  fcrRate: figure(null, 0.6),
  volume: figure(30, 25),
  escalations: figure(2, 1),
  cannedReplyUses: figure(40, 10),
};

describe("a scorecard beside the group's average", () => {
  it("has one row per figure, in the card's order", () => {
    const rows = scorecardRows(CARD);
    expect(rows.map((row) => row.key)).toEqual([
      "qaScore",
      "qaReviews",
      "passRate",
      "csat",
      "firstResponseSeconds",
      "handleSeconds",
      "fcrRate",
      "volume",
      "escalations",
      "cannedReplyUses",
    ]);
    expect(Object.values(QA_CATALOGUES).every((catalogue) => rows.every((row) => `qa.figure.${row.key}` in catalogue))).toBe(true);
  });

  it("says which side of the average the agent is on, lower being better for times and escalations", () => {
    const by = Object.fromEntries(scorecardRows(CARD).map((row) => [row.key, row.comparison]));
    expect(by).toMatchObject({
      qaScore: "better",
      passRate: "worse",
      csat: "same",
      firstResponseSeconds: "better",
      handleSeconds: "worse",
      fcrRate: null,
      escalations: "worse",
      cannedReplyUses: null,
      qaReviews: null,
    });
  });

  it("compares nothing when either side is missing", () => {
    expect(compare({ agent: 1 }, true)).toBeNull();
    expect(compare({ group: 1 }, true)).toBeNull();
    expect(compare({ agent: 2, group: 1 }, false)).toBe("worse");
  });
});
