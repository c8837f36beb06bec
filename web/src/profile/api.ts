// The customer's own record: read it with its ETag, change it with If-Match.
import type { components } from "../api/schema";
import { request, type Answer } from "../api/client";

type Schemas = components["schemas"];
export type OwnProfile = Schemas["OwnProfile"];
export type OwnProfilePatch = Schemas["OwnProfilePatch"];
export type ProfileLanguage = Schemas["Language"];

export function readProfile(): Promise<Answer<OwnProfile>> {
  return request<OwnProfile>("GET", "/me");
}

export function changeProfile(patch: OwnProfilePatch, etag: string): Promise<Answer<OwnProfile>> {
  return request<OwnProfile>("PATCH", "/me", { body: patch, headers: { "If-Match": etag } });
}
