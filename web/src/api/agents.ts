// Groups, rosters and the signed-in agent's availability.
import type { components } from "./schema";
import { request } from "./client";

type Schemas = components["schemas"];
export type Agent = Schemas["Agent"];
export type Group = Schemas["Group"];
export type GroupMember = Schemas["GroupMember"];
export type Availability = Schemas["Availability"];

export const AVAILABILITIES: Availability[] = ["online", "away", "offline"];

export async function listGroups(): Promise<Group[]> {
  return (await request<Group[]>("GET", "/groups")).data;
}

export async function roster(groupId: string): Promise<GroupMember[]> {
  return (await request<GroupMember[]>("GET", `/groups/${encodeURIComponent(groupId)}/agents`)).data;
}

export async function setAvailability(availability: Availability): Promise<Agent> {
  return (await request<Agent>("PUT", "/agents/me/availability", { body: { availability } })).data;
}
