"use strict";
// Cognito from the page: its JSON API (InitiateAuth, RespondToAuthChallenge, RevokeToken)
// and the SRP-6a proof that USER_SRP_AUTH asks for, with BigInt and WebCrypto. Nothing here
// touches the page; console.js drives it. A password lives only in the arguments of these
// functions: it is never kept, logged or put in an error.
const RendezvousCognito = (() => {
  // RFC 5054's 3072-bit group, as Cognito (amazon-cognito-identity-js) uses it.
  const N_HEX =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F" +
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510" +
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C" +
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";
  const N = BigInt("0x" + N_HEX);
  const G = 2n;
  const HKDF_INFO = new TextEncoder().encode("Caldera Derived Key\u0001");
  const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const TIMEOUT_MS = 15000;
  const utf8 = (text) => new TextEncoder().encode(text);

  // ---- bytes, hex, base64 -------------------------------------------------------------------
  function hexToBytes(hex) {
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return bytes;
  }

  function bytesToHex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function bytesToBase64(bytes) {
    return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
  }

  function base64ToBytes(text) {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }

  // Cognito hashes numbers as even-length hex with a 00 in front when the top bit is set, so
  // the bytes read as a positive big-endian number (Java's BigInteger.toByteArray).
  function padHex(value) {
    let hex = typeof value === "bigint" ? value.toString(16) : String(value).toLowerCase();
    if (hex.length % 2 === 1) hex = "0" + hex;
    else if (/^[89a-f]/.test(hex)) hex = "00" + hex;
    return hex;
  }

  // ---- arithmetic and hashes ----------------------------------------------------------------
  function mod(a, m) {
    const r = a % m;
    return r < 0n ? r + m : r;
  }

  function modPow(base, exponent, modulus) {
    let result = 1n;
    let b = mod(base, modulus);
    let e = exponent;
    while (e > 0n) {
      if (e & 1n) result = (result * b) % modulus;
      b = (b * b) % modulus;
      e >>= 1n;
    }
    return result;
  }

  async function sha256Hex(bytes) {
    return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  }

  async function hmacSha256(keyBytes, dataBytes) {
    const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new Uint8Array(await crypto.subtle.sign("HMAC", key, dataBytes));
  }

  const hashToBigInt = async (hex) => BigInt("0x" + (await sha256Hex(hexToBytes(hex))));

  // ---- SRP-6a -------------------------------------------------------------------------------
  // a: 128 random bytes, below N; A = g^a mod N is what InitiateAuth sends as SRP_A.
  function srpStart(smallA) {
    const a = smallA === undefined
      ? mod(BigInt("0x" + bytesToHex(crypto.getRandomValues(new Uint8Array(128)))), N)
      : smallA;
    const A = modPow(G, a, N);
    if (A === 0n) throw new Error("SRP: A is zero");
    return { a, A, srpA: A.toString(16) };
  }

  // "Fri Nov 27 13:05:09 UTC 2026": Cognito's clock format, the day not zero-padded.
  function timestamp(date) {
    const two = (n) => String(n).padStart(2, "0");
    return `${WEEKDAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()} ` +
      `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} UTC ${date.getUTCFullYear()}`;
  }

  // PASSWORD_CLAIM_SIGNATURE for the PASSWORD_VERIFIER challenge. The password is salted
  // with the pool's name (the part of its id after "_") and USER_ID_FOR_SRP, not the name typed.
  async function passwordClaim({ poolId, userIdForSrp, password, a, A, saltHex, srpBHex, secretBlock, when }) {
    const B = BigInt("0x" + srpBHex);
    if (mod(B, N) === 0n) throw new Error("SRP: the server's B is zero mod N");
    const u = await hashToBigInt(padHex(A) + padHex(B));
    if (u === 0n) throw new Error("SRP: u is zero");
    const poolName = poolId.split("_")[1];
    const k = await hashToBigInt(padHex(N) + padHex(G));
    const identity = await sha256Hex(utf8(`${poolName}${userIdForSrp}:${password}`));
    const x = await hashToBigInt(padHex(saltHex) + identity);
    const S = modPow(B - k * modPow(G, x, N), a + u * x, N);
    const prk = await hmacSha256(hexToBytes(padHex(u)), hexToBytes(padHex(S)));
    const key = (await hmacSha256(prk, HKDF_INFO)).slice(0, 16);
    const message = concat(utf8(poolName), utf8(userIdForSrp), base64ToBytes(secretBlock), utf8(when));
    return bytesToBase64(await hmacSha256(key, message));
  }

  // ---- the JSON API -------------------------------------------------------------------------
  class CognitoError extends Error {
    constructor(code, message) {
      super(message);
      this.code = code;
    }
  }

  function client(config) {
    async function call(action, body) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
      let response;
      let text;
      try {
        response = await fetch(config.endpoint, {
          method: "POST",
          headers: {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
          },
          body: JSON.stringify(body),
          cache: "no-store",
          credentials: "omit",
          signal: controller.signal,
        });
        text = await response.text();
      } catch {
        throw new CognitoError("NetworkError", "");
      } finally {
        clearTimeout(timer);
      }
      let data = {};
      try { data = text ? JSON.parse(text) : {}; } catch { data = {}; }
      if (!response.ok) {
        // "NotAuthorizedException", sometimes as "com.amazonaws...#NotAuthorizedException".
        const type = String(data.__type || response.headers.get("x-amzn-ErrorType") || `HTTP${response.status}`);
        throw new CognitoError(type.split("#").pop().split(":")[0], String(data.message || data.Message || ""));
      }
      return data;
    }

    // What InitiateAuth or RespondToAuthChallenge answered: tokens, or the next challenge.
    function outcome(answer, username) {
      const result = answer.AuthenticationResult;
      if (result && result.IdToken) {
        return {
          tokens: {
            idToken: result.IdToken,
            accessToken: result.AccessToken,
            refreshToken: result.RefreshToken,
          },
        };
      }
      const parameters = answer.ChallengeParameters || {};
      return {
        challenge: {
          name: answer.ChallengeName,
          session: answer.Session,
          username: parameters.USERNAME || username,
        },
      };
    }

    async function respond(challenge, responses) {
      const answer = await call("RespondToAuthChallenge", {
        ClientId: config.clientId,
        ChallengeName: challenge.name,
        Session: challenge.session,
        ChallengeResponses: { USERNAME: challenge.username, ...responses },
      });
      return outcome(answer, challenge.username);
    }

    async function signInWithSrp(username, password) {
      const { a, A, srpA } = srpStart();
      const answer = await call("InitiateAuth", {
        AuthFlow: "USER_SRP_AUTH",
        ClientId: config.clientId,
        AuthParameters: { USERNAME: username, SRP_A: srpA },
      });
      if (answer.ChallengeName !== "PASSWORD_VERIFIER") return outcome(answer, username);
      const p = answer.ChallengeParameters;
      const when = timestamp(new Date());
      const signature = await passwordClaim({
        poolId: config.userPoolId,
        userIdForSrp: p.USER_ID_FOR_SRP,
        password,
        a,
        A,
        saltHex: p.SALT,
        srpBHex: p.SRP_B,
        secretBlock: p.SECRET_BLOCK,
        when,
      });
      return respond(
        { name: "PASSWORD_VERIFIER", session: answer.Session, username: p.USERNAME || username },
        { PASSWORD_CLAIM_SECRET_BLOCK: p.SECRET_BLOCK, PASSWORD_CLAIM_SIGNATURE: signature, TIMESTAMP: when },
      );
    }

    async function signIn(username, password) {
      if (config.authFlow === "USER_SRP_AUTH") return signInWithSrp(username, password);
      const answer = await call("InitiateAuth", {
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: config.clientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      });
      return outcome(answer, username);
    }

    // A refresh answers new ID and access tokens; the refresh token stays the one we hold.
    async function refresh(refreshToken) {
      const answer = await call("InitiateAuth", {
        AuthFlow: "REFRESH_TOKEN_AUTH",
        ClientId: config.clientId,
        AuthParameters: { REFRESH_TOKEN: refreshToken },
      });
      const result = outcome(answer, "");
      if (!result.tokens) throw new CognitoError("UnexpectedChallenge", "");
      result.tokens.refreshToken = result.tokens.refreshToken || refreshToken;
      return result.tokens;
    }

    async function revoke(refreshToken) {
      await call("RevokeToken", { ClientId: config.clientId, Token: refreshToken });
    }

    return {
      signIn,
      refresh,
      revoke,
      newPassword: (challenge, password) => respond(challenge, { NEW_PASSWORD: password }),
      mfaCode: (challenge, code) => respond(challenge, { SOFTWARE_TOKEN_MFA_CODE: code }),
    };
  }

  return {
    client,
    CognitoError,
    // The SRP steps themselves, for the cross-check against another implementation.
    srp: { srpStart, passwordClaim, timestamp, padHex },
  };
})();
