/** The person behind a request, as the domain knows them: whoever verified their credentials. */
import type { ROLES } from "./model";

export interface Principal {
  sub: string;
  portal: string;
  role: (typeof ROLES)[number];
  email: string;
  name: string;
  /** Expiry in seconds since the epoch, when the credential has one. */
  exp?: number | undefined;
}
