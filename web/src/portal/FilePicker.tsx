import { useEffect, useState } from "preact/hooks";
import { t, type MessageKey } from "../i18n";
import { ErrorMessage } from "../shell/ErrorMessage";
import { attachmentLimits, startUpload, type Attachment, type AttachmentLimits } from "./attachmentsApi";
import { fileProblem, formatBytes, typeNames, uploadFile, UploadRefused } from "./files";

/** The files of a new ticket: the limits shown before any is chosen, each checked before it is sent, uploaded
 * straight to S3, listed with a way to take it off again. */
export function FilePicker(props: { files: Attachment[]; onChange: (files: Attachment[]) => void }) {
  const [limits, setLimits] = useState<AttachmentLimits | null>(null);
  const [uploading, setUploading] = useState<string | null>(null);
  const [refusals, setRefusals] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    attachmentLimits().then(setLimits, setError);
  }, []);

  async function choose(input: HTMLInputElement) {
    if (!limits || !input.files) return;
    const chosen = [...input.files];
    input.value = "";
    const refused: string[] = [];
    let files = props.files;
    setError(null);
    for (const file of chosen) {
      const problem = fileProblem(file, limits, files.length);
      if (problem) {
        refused.push(t(`files.problem.${problem}` as MessageKey, { name: file.name, size: formatBytes(limits.maxBytes), count: limits.maxFiles }));
        continue;
      }
      setUploading(file.name);
      try {
        files = [...files, await uploadFile(file, startUpload)];
        props.onChange(files);
      } catch (err) {
        if (err instanceof UploadRefused) refused.push(t("files.refused", { name: file.name }));
        else setError(err);
      }
    }
    setUploading(null);
    setRefusals(refused);
  }

  return (
    <fieldset data-testid="files">
      <label>
        {t("files.label")}
        <input
          type="file"
          multiple
          data-testid="file-input"
          accept={limits?.contentTypes.join(",")}
          disabled={!limits || uploading !== null}
          aria-describedby="file-limits"
          onChange={(e) => void choose(e.target as HTMLInputElement)}
        />
      </label>
      <small id="file-limits" data-testid="file-limits">
        {limits ? t("files.limits", { count: limits.maxFiles, size: formatBytes(limits.maxBytes), types: typeNames(limits) }) : t("app.loading")}
      </small>
      {uploading && (
        <p aria-busy="true" role="status">
          {t("files.uploading", { name: uploading })}
        </p>
      )}
      {refusals.length > 0 && (
        <div role="alert" data-testid="file-refused">
          <ul>
            {refusals.map((text) => (
              <li key={text}>{text}</li>
            ))}
          </ul>
        </div>
      )}
      <ErrorMessage error={error} />
      {props.files.length > 0 && (
        <ul data-testid="attached-files">
          {props.files.map((file) => (
            <li key={file.key}>
              {file.name} <small>({formatBytes(file.size)})</small>{" "}
              <button
                type="button"
                class="secondary outline compact"
                aria-label={t("files.remove", { name: file.name })}
                onClick={() => props.onChange(props.files.filter((other) => other.key !== file.key))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
