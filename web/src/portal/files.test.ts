import { describe, expect, it, vi } from "vitest";
import { NetworkError } from "../api/client";
import type { AttachmentLimits, Upload } from "./attachmentsApi";
import { fileProblem, formatBytes, typeNames, uploadFile, UploadRefused } from "./files";

const LIMITS: AttachmentLimits = { maxBytes: 10 * 1024 * 1024, maxFiles: 2, contentTypes: ["image/png", "application/pdf"] };

function upload(): Upload {
  return {
    uploadUrl: "http://127.0.0.1:5173/local/s3/kefu-attachments",
    fields: { key: "uploads/cust-demo/abc/photo.png", "Content-Type": "image/png", policy: "p", "x-amz-signature": "s" },
    key: "uploads/cust-demo/abc/photo.png",
    name: "photo.png",
    contentType: "image/png",
    size: 4,
    maxBytes: LIMITS.maxBytes,
    expiresAt: "2026-12-03T08:00:00Z",
  };
}

describe("a file is checked against the limits before anything is sent", () => {
  it("takes a picture within the limits", () => {
    expect(fileProblem({ name: "a.png", type: "image/png", size: 1000 }, LIMITS, 0)).toBeNull();
  });

  it("refuses a file over the size limit, one of another type, an empty one, and one past the count", () => {
    expect(fileProblem({ name: "big.png", type: "image/png", size: LIMITS.maxBytes + 1 }, LIMITS, 0)).toBe("too-large");
    expect(fileProblem({ name: "page.html", type: "text/html", size: 10 }, LIMITS, 0)).toBe("wrong-type");
    expect(fileProblem({ name: "unknown", type: "", size: 10 }, LIMITS, 0)).toBe("wrong-type");
    expect(fileProblem({ name: "a.png", type: "image/png", size: 0 }, LIMITS, 0)).toBe("empty");
    expect(fileProblem({ name: "a.png", type: "image/png", size: 10 }, LIMITS, 2)).toBe("too-many");
  });

  it("shows the limits as people read them", () => {
    expect(formatBytes(LIMITS.maxBytes)).toBe("10 MB");
    expect(formatBytes(2048)).toBe("2 KB");
    expect(typeNames(LIMITS)).toBe("PNG, PDF");
  });
});

describe("an upload goes straight to S3 with the pre-signed form", () => {
  const file = new File([new Uint8Array([1, 2, 3, 4])], "photo.png", { type: "image/png" });

  it("asks for the upload with the file's type and size, posts the fields then the file, and names the key", async () => {
    const start = vi.fn(async () => upload());
    const send = vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => new Response(null, { status: 204 }));
    const attached = await uploadFile(file, start, send as unknown as typeof fetch);
    expect(start).toHaveBeenCalledWith({ name: "photo.png", contentType: "image/png", size: 4 });
    const [url, init] = send.mock.calls[0];
    expect(url).toBe("http://127.0.0.1:5173/local/s3/kefu-attachments");
    const form = init?.body as FormData;
    expect([...form.keys()]).toEqual(["key", "Content-Type", "policy", "x-amz-signature", "file"]);
    expect(attached).toEqual({ key: "uploads/cust-demo/abc/photo.png", name: "photo.png", contentType: "image/png", size: 4 });
  });

  it("reports S3's refusal and an unreachable network as such", async () => {
    const refused = vi.fn(async () => new Response("<Error/>", { status: 400 }));
    await expect(uploadFile(file, async () => upload(), refused as unknown as typeof fetch)).rejects.toBeInstanceOf(UploadRefused);
    const offline = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(uploadFile(file, async () => upload(), offline as unknown as typeof fetch)).rejects.toBeInstanceOf(NetworkError);
  });
});
