/**
 * `/signin`: the password (`DASHBOARD_PASSWORD`) or a read token. No script.
 */
import type { FC } from "hono/jsx";
import { type Chrome, Layout } from "./layout.tsx";

/** Props of the sign-in page. */
export interface SignInProps {
  chrome: Chrome;
  /** Where to go after signing in (a path of this site). */
  next: string;
  passwordEnabled: boolean;
  error: string | null;
  /** A message after signing out. */
  info: string | null;
}

/** The sign-in page. */
export const SignInPage: FC<SignInProps> = (p) => (
  <Layout chrome={p.chrome} title="Sign in" nav="signin">
    <div class="signin">
      <h1>Sign in</h1>
      {p.info ? <p class="flash" role="status">{p.info}</p> : null}
      {p.error ? <p class="error" role="alert" id="signin-error">{p.error}</p> : null}
      <form method="post" action="/signin" class="stack" id="signin-form">
        <input type="hidden" name="next" value={p.next} />
        {p.passwordEnabled
          ? (
            <label>
              Password{" "}
              <input
                type="password"
                name="password"
                id="password"
                autocomplete="current-password"
                autofocus
              />
            </label>
          )
          : null}
        <details open={p.passwordEnabled ? undefined : true}>
          <summary>{p.passwordEnabled ? "Or sign in with a read token" : "Read token"}</summary>
          <label>
            Token{" "}
            <textarea name="token" id="token" rows={3} autocomplete="off" spellcheck={false}>
            </textarea>
          </label>
          <p class="muted">
            Mint one with{" "}
            <code>deno task token --scope read --ttl 24h</code>. An admin token may also create and
            expire silences.
          </p>
        </details>
        <button type="submit">Sign in</button>
      </form>
    </div>
  </Layout>
);
