// Decentralised-auth material for a test server in operator mode: an operator, a system
// account, one account with JetStream and one user, as nsc would make them. JWTs are
// encoded here (header.claims.signature, ed25519 by the issuer's nkey) with nats.js's
// nkeys: nats.js has no JWT encoder.
import { randomBytes } from "node:crypto";
import { nkeys } from "nats";

type KeyPair = ReturnType<typeof nkeys.createOperator>;

const b64url = (data: Uint8Array | string) => Buffer.from(data).toString("base64url");
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function encodeJwt(issuer: KeyPair, subject: string, name: string, nats: object): string {
  const header = b64url(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }));
  const claims = b64url(
    JSON.stringify({
      jti: randomBytes(16).toString("hex").toUpperCase(),
      iat: Math.floor(Date.now() / 1000),
      iss: issuer.getPublicKey(),
      name,
      sub: subject,
      nats: { ...nats, version: 2 },
    }),
  );
  const sig = b64url(issuer.sign(new TextEncoder().encode(`${header}.${claims}`)));
  return `${header}.${claims}.${sig}`;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, conn: -1, leaf: -1 };

export interface OperatorSetup {
  /** nats-server configuration lines: operator, system account, memory resolver */
  config: string;
  userJwt: string;
  userSeed: string;
  /** a creds file's content for the same user, as nsc writes it */
  creds: string;
}

export function operatorSetup(): OperatorSetup {
  const operator = nkeys.createOperator();
  const sys = nkeys.createAccount();
  const account = nkeys.createAccount();
  const user = nkeys.createUser();
  const operatorJwt = encodeJwt(operator, operator.getPublicKey(), "OP", {
    type: "operator",
    system_account: sys.getPublicKey(),
  });
  const sysJwt = encodeJwt(operator, sys.getPublicKey(), "SYS", {
    type: "account",
    limits: { ...UNLIMITED, wildcards: true },
  });
  const accountJwt = encodeJwt(operator, account.getPublicKey(), "APP", {
    type: "account",
    limits: {
      ...UNLIMITED,
      wildcards: true,
      mem_storage: -1,
      disk_storage: -1,
      streams: -1,
      consumer: -1,
    },
  });
  const userJwt = encodeJwt(account, user.getPublicKey(), "app-user", {
    type: "user",
    pub: {},
    sub: {},
    subs: -1,
    data: -1,
    payload: -1,
  });
  const userSeed = text(user.getSeed());
  const config = `operator: "${operatorJwt}"
system_account: ${sys.getPublicKey()}
resolver: MEMORY
resolver_preload: {
  ${sys.getPublicKey()}: "${sysJwt}"
  ${account.getPublicKey()}: "${accountJwt}"
}
`;
  const creds = `-----BEGIN NATS USER JWT-----
${userJwt}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.

-----BEGIN USER NKEY SEED-----
${userSeed}
------END USER NKEY SEED------
`;
  return { config, userJwt, userSeed, creds };
}
