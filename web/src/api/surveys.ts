// Survey links: the token in the path is the credential, so these calls carry no bearer token.
import type { components } from "./schema";
import { request } from "./client";

type Schemas = components["schemas"];
export type SurveyView = Schemas["SurveyView"];
export type SurveyAnswer = Schemas["SurveyAnswer"];
export type SurveyResult = Schemas["SurveyResult"];

export async function showSurvey(token: string): Promise<SurveyView> {
  return (await request<SurveyView>("GET", `/surveys/${encodeURIComponent(token)}`, { anonymous: true })).data;
}

export async function answerSurvey(token: string, answer: SurveyAnswer): Promise<SurveyResult> {
  return (await request<SurveyResult>("POST", `/surveys/${encodeURIComponent(token)}`, { anonymous: true, body: answer }))
    .data;
}
