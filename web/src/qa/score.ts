// A review's scores as the reviewer enters them: each item checked against its scale, and the total and verdict
// computed the way the server computes them (kefu.qa.rubric.total), so the reviewer sees what they are about to
// submit. After submitting, the screen shows the server's own answer.
import type { Problem } from "../api/client";
import type { ItemScore, Rubric, RubricItem } from "../api/qa";

/** What the reviewer typed for each item (item id → text of the points field). */
export type Entered = Record<string, string>;

export type ItemProblem = "missing" | "not-a-number" | "out-of-range";

export interface Preview {
  /** 0-100, one decimal; null until every item has valid points. */
  total: number | null;
  passed: boolean | null;
  /** Fatal items scored 0: each one fails the review and zeroes its total. */
  fatalFailed: string[];
  problems: Record<string, ItemProblem>;
}

/** The points of one item, or what is wrong with them. */
export function itemPoints(item: RubricItem, text: string | undefined): number | ItemProblem {
  const trimmed = (text ?? "").trim();
  if (trimmed === "") return "missing";
  if (!/^\d+$/.test(trimmed)) return "not-a-number";
  const points = Number(trimmed);
  return points > item.max ? "out-of-range" : points;
}

/**
 * Python's round(x, 1) on the float's exact value: toFixed rounds that exact value too, except at a true tie (x a
 * quarter: 12.25, 12.75), which Python sends to the even digit (12.2, 12.8) where toFixed goes up.
 */
export function roundHalfEven1(value: number): number {
  const quarters = value * 4;
  if (Number.isInteger(quarters) && Math.abs(quarters) % 2 === 1) {
    const scaled = value * 10;
    const floor = Math.floor(scaled);
    return (floor % 2 === 0 ? floor : floor + 1) / 10;
  }
  return Number(value.toFixed(1));
}

/** The weighted mean of points/max, times 100; a fatal item at 0 makes it 0 and fails the review. */
export function preview(rubric: Rubric, entered: Entered): Preview {
  const problems: Record<string, ItemProblem> = {};
  const points: Record<string, number> = {};
  for (const item of rubric.items) {
    const value = itemPoints(item, entered[item.id]);
    if (typeof value === "number") points[item.id] = value;
    else problems[item.id] = value;
  }
  const fatalFailed = rubric.items.filter((item) => item.fatal && points[item.id] === 0).map((item) => item.id);
  if (Object.keys(problems).length > 0) return { total: null, passed: null, fatalFailed, problems };
  const weights = rubric.items.reduce((sum, item) => sum + item.weight, 0);
  const weighted = rubric.items.reduce((sum, item) => sum + (item.weight * points[item.id]) / item.max, 0);
  const total = fatalFailed.length > 0 ? 0 : roundHalfEven1((100 * weighted) / weights);
  return { total, passed: fatalFailed.length === 0 && total >= rubric.pass_mark, fatalFailed, problems };
}

/** The request body for complete, valid scores (comments trimmed, empty ones left out). */
export function scoreItems(rubric: Rubric, entered: Entered, comments: Record<string, string>): ItemScore[] {
  return rubric.items.map((item) => {
    const comment = (comments[item.id] ?? "").trim();
    return { item: item.id, score: Number((entered[item.id] ?? "").trim()), ...(comment ? { comment } : {}) };
  });
}

/** The scores a review already has, as the form's entries (a reviewer correcting their own scores). */
export function enteredOf(scores: ItemScore[] | undefined): { entered: Entered; comments: Record<string, string> } {
  const entered: Entered = {};
  const comments: Record<string, string> = {};
  for (const score of scores ?? []) {
    entered[score.item] = String(score.score);
    if (score.comment) comments[score.item] = score.comment;
  }
  return { entered, comments };
}

/**
 * A 422 answer to a score, sorted by the item it names: the domain's sentences quote the item id ("'greeting'
 * scores 0..5, got 7"), the schema's point at the submitted item by index ("body.items.2.score"). What names no
 * item is returned under "" and shown above the form.
 */
export function problemsByItem(problem: Problem, sent: ItemScore[], rubric: Rubric): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  const add = (key: string, text: string) => (found[key] ??= []).push(text);
  const ids = new Set(rubric.items.map((item) => item.id));
  for (const error of problem.errors ?? []) {
    const index = /^body\.items\.(\d+)\b/.exec(error.location);
    const item = index ? sent[Number(index[1])]?.item : undefined;
    add(item && ids.has(item) ? item : "", error.message);
  }
  if (!problem.errors?.length) {
    for (const sentence of (problem.detail || problem.title).split("; ")) {
      const named = [...sentence.matchAll(/'([a-z][a-z0-9_]*)'/g)].map((m) => m[1]).find((id) => ids.has(id));
      add(named ?? "", sentence);
    }
  }
  return found;
}
