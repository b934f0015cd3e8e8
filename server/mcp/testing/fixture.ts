import { makeSceneFixture, type SceneFixture } from '../../../tools/testing/scene-fixture.js';

export { REPO_ROOT } from '../../../tools/testing/scene-fixture.js';

/** The MCP tests' scene: 1024² (seed 21), ingested; see tools/testing/scene-fixture.ts. */
export type ServerFixture = SceneFixture;

/** A small ingested scene for the MCP server tests. */
export function makeServerFixture(seed = 21): Promise<ServerFixture> {
  return makeSceneFixture({ seed, size: 1024 });
}

/** The fixture's tools served over Streamable HTTP on 127.0.0.1 (any free port) with a bearer token. */
export async function serveFixture(fx: ServerFixture, token: string): Promise<{ url: string; stop(): Promise<void> }> {
  const { createHttpApp, listen } = await import('../http-app.js');
  const app = createHttpApp({ context: fx.context, token, allowedHosts: ['127.0.0.1'], allowedOrigins: [] });
  const { server, port } = await listen(app.app, '127.0.0.1', 0);
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await app.close();
    },
  };
}
