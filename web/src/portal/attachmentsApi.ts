// Files on tickets: the limits, a pre-signed upload (then the file goes straight to S3), a download link.
import type { components } from "../api/schema";
import { request } from "../api/client";

type Schemas = components["schemas"];
export type Attachment = Schemas["Attachment"];
export type AttachmentLimits = Schemas["AttachmentLimits"];
export type Upload = Schemas["Upload"];
export type UploadRequest = Schemas["UploadRequest"];
export type DownloadLink = Schemas["DownloadLink"];

export async function attachmentLimits(): Promise<AttachmentLimits> {
  return (await request<AttachmentLimits>("GET", "/tickets/attachments/limits")).data;
}

export async function startUpload(file: UploadRequest): Promise<Upload> {
  return (await request<Upload>("POST", "/tickets/attachments/uploads", { body: file })).data;
}

export async function downloadLink(ticketId: string, key: string): Promise<DownloadLink> {
  return (await request<DownloadLink>("GET", `/tickets/${encodeURIComponent(ticketId)}/attachments`, { query: { key } }))
    .data;
}
