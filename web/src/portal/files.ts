// Choosing and uploading a ticket's files: checked against the published limits before anything is sent, then
// posted straight to S3 with the pre-signed form the API gave (S3 refuses a larger file or another type again,
// and the API checks what was stored when the ticket names it).
import { NetworkError } from "../api/client";
import type { Attachment, AttachmentLimits, Upload, UploadRequest } from "./attachmentsApi";

export interface ChosenFile {
  name: string;
  type: string;
  size: number;
}

export type FileProblem = "too-large" | "wrong-type" | "empty" | "too-many";

/** Why a file cannot be attached, or null when it can. */
export function fileProblem(file: ChosenFile, limits: AttachmentLimits, alreadyAttached: number): FileProblem | null {
  if (alreadyAttached >= limits.maxFiles) return "too-many";
  if (file.size <= 0) return "empty";
  if (file.size > limits.maxBytes) return "too-large";
  if (!limits.contentTypes.includes(mediaType(file))) return "wrong-type";
  return null;
}

/** The file's media type; browsers leave it empty for extensions they do not know. */
export function mediaType(file: ChosenFile): string {
  return (file.type || "application/octet-stream").split(";")[0].trim().toLowerCase();
}

/** 10485760 → "10 MB": limits and sizes as people read them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}

/** The short names of the accepted types ("PDF, PNG, JPEG …"), for the hint under the picker. */
export function typeNames(limits: AttachmentLimits): string {
  const names: Record<string, string> = {
    "application/pdf": "PDF",
    "text/plain": "TXT",
    "text/csv": "CSV",
    "application/zip": "ZIP",
    "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
  };
  return limits.contentTypes.map((type) => names[type] ?? type.replace(/^image\//, "").toUpperCase()).join(", ");
}

/** S3 answered the upload with an error (its policy refused the file, or the form expired). */
export class UploadRefused extends Error {
  constructor(readonly status: number) {
    super(`the upload was refused (${status})`);
    this.name = "UploadRefused";
  }
}

/** Ask for a pre-signed upload, post the file to S3, and answer what a ticket names in its `attachments`. */
export async function uploadFile(
  file: Blob & ChosenFile,
  start: (request: UploadRequest) => Promise<Upload>,
  send: typeof fetch = fetch,
): Promise<Attachment> {
  // Only a file `fileProblem` passed is uploaded: its type is one of the accepted ones (the API refuses others).
  const contentType = mediaType(file) as UploadRequest["contentType"];
  const upload = await start({ name: file.name, contentType, size: file.size });
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  // S3 reads the fields first and the file last: anything after `file` is ignored.
  form.append("file", file, upload.name);
  let answer: Response;
  try {
    answer = await send(upload.uploadUrl, { method: "POST", body: form });
  } catch (err) {
    throw new NetworkError(err);
  }
  if (!answer.ok) throw new UploadRefused(answer.status);
  return { key: upload.key, name: upload.name, contentType: upload.contentType, size: upload.size };
}
