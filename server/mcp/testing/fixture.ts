import { makeSceneFixture, type SceneFixture } from '../../../tools/testing/scene-fixture.js';

export { REPO_ROOT } from '../../../tools/testing/scene-fixture.js';

/** The MCP tests' scene: 1024² (seed 21), ingested; see tools/testing/scene-fixture.ts. */
export type ServerFixture = SceneFixture;

/** A small ingested scene for the MCP server tests. */
export function makeServerFixture(seed = 21): Promise<ServerFixture> {
  return makeSceneFixture({ seed, size: 1024 });
}
