// A real OpenID Connect provider for the identity-provider browser tests: node-oidc-provider (the
// certified implementation, from npm) with its development sign-in pages. Whatever is typed as the
// login becomes the e-mail claim; a login starting "unverified:" sends email_verified: false.
// Usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI POST_LOGOUT_URI
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri, postLogoutUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [postLogoutUri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
    },
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  scopes: ["openid", "email", "profile"],
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => false },
  // Put the e-mail claims in the ID token, as Google and Entra ID do: st.user is read from it.
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const unverified = id.startsWith("unverified:");
    const email = unverified ? id.slice("unverified:".length) : id;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: !unverified, name: email };
      },
    };
  },
  // Consent is implied for this one first-party client: the dev pages then only ask for the login.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
});
// Streamlit's st.login asks for prompt=select_account (Google and Entra ID offer it; this provider
// does not, and would refuse the request): drop that one value before the provider reads it.
provider.use(async (ctx, next) => {
  if (ctx.path === "/auth" && ctx.query.prompt === "select_account") {
    const query = { ...ctx.query };
    delete query.prompt;
    ctx.query = query;
  }
  await next();
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => console.log(`oidc provider ready at ${issuer}`));
