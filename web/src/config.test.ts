import { describe, expect, it } from "vitest";
import { parseConfig } from "./config";

describe("the runtime configuration", () => {
  it("reads Cognito's domain and app client as written at deploy", () => {
    const parsed = parseConfig({
      apiUrl: "https://api.example.com/",
      cognito: { domain: "https://kefu-dev.auth.eu-west-1.amazoncognito.com/", clientId: "abc" },
    });
    expect(parsed.apiUrl).toBe("https://api.example.com");
    expect(parsed.cognito).toEqual({ domain: "https://kefu-dev.auth.eu-west-1.amazoncognito.com", clientId: "abc" });
    expect(parsed.localSignIn).toBe(false);
  });

  it("has no Cognito sign-in without a client or with a domain that is not an https origin", () => {
    expect(parseConfig({ cognito: { domain: "https://x.example.com" } }).cognito).toBeNull();
    expect(parseConfig({ cognito: { domain: "http://x.example.com", clientId: "a" } }).cognito).toBeNull();
    expect(parseConfig({ cognito: { domain: "https://x.example.com/path", clientId: "a" } }).cognito).toBeNull();
    expect(parseConfig({}).cognito).toBeNull();
  });
});
