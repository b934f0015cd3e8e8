import { describe, expect, it } from 'vitest';
import { createChatModel } from './llm.js';

const llm = { model: 'm', temperature: 0, maxSteps: 4 } as const;

describe('createChatModel keys', () => {
  it('trims a key pasted with its newline, for the real client classes', async () => {
    const openai = (await createChatModel({ ...llm, provider: 'openai' }, { OPENAI_API_KEY: 'sk-test\n' })) as unknown as { apiKey: string };
    expect(openai.apiKey).toBe('sk-test');
    const anthropic = (await createChatModel({ ...llm, provider: 'anthropic', apiKeyEnv: 'MY_KEY' }, { MY_KEY: ' sk-ant-test ' })) as unknown as { apiKey: string };
    expect(anthropic.apiKey).toBe('sk-ant-test');
  });

  it('treats a blank key as unset: a clear CONFIG error naming the variable, not a 401 at the first question', async () => {
    await expect(createChatModel({ ...llm, provider: 'anthropic' }, { ANTHROPIC_API_KEY: '  ' })).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/ANTHROPIC_API_KEY/) });
    await expect(createChatModel({ ...llm, provider: 'openai' }, { OPENAI_API_KEY: '' })).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/OPENAI_API_KEY/) });
    // A local OpenAI-compatible server needs no key.
    await expect(createChatModel({ ...llm, provider: 'openai', baseUrl: 'http://127.0.0.1:9/v1' }, {})).resolves.toBeDefined();
  });
});
