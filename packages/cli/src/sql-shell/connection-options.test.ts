import { describe, expect, it } from 'vitest';
import { ConnectionOptionsError, parseConnectionUrl, resolveConnection } from './connection-options.js';

const files: Record<string, string> = {
  '/db/server.pid': '{"pid":42,"host":"0.0.0.0","port":6000,"stage":"OPEN"}\n',
  '/db/sys.password': 'from-dir\n',
  '/secret': '  from-file \n',
};
const readText = (path: string): Promise<string> =>
  files[path] === undefined ? Promise.reject(new Error('ENOENT')) : Promise.resolve(files[path]);

describe('resolveConnection', () => {
  it('defaults to sys@127.0.0.1:5544/tandem', async () => {
    expect(await resolveConnection({}, { env: {}, readText })).toEqual({
      host: '127.0.0.1',
      port: 5544,
      user: 'sys',
      database: 'tandem',
      password: undefined,
    });
  });

  it('ranks flags over the URL, the URL over --dir, --dir over the environment', async () => {
    const env = { PGHOST: 'envhost', PGPORT: '7000', PGUSER: 'envuser', PGDATABASE: 'envdb', PGPASSWORD: 'env' };
    expect(await resolveConnection({ dir: '/db' }, { env, readText })).toEqual({
      host: '127.0.0.1',
      port: 6000,
      user: 'envuser',
      database: 'envdb',
      password: 'from-dir',
    });
    expect(
      await resolveConnection(
        { dir: '/db', url: 'postgresql://u:p%40ss@urlhost/urldb', user: 'flaguser' },
        { env, readText },
      ),
    ).toEqual({ host: 'urlhost', port: 6000, user: 'flaguser', database: 'urldb', password: 'p@ss' });
    expect((await resolveConnection({ dir: '/db', passwordFile: '/secret' }, { env, readText })).password).toBe(
      'from-file',
    );
  });

  it('rejects a bad port, a bad URL and a directory without a running server', async () => {
    await expect(resolveConnection({ port: 'x' }, { env: {}, readText })).rejects.toThrow(ConnectionOptionsError);
    expect(() => parseConnectionUrl('mysql://x')).toThrow(/expected postgresql/);
    await expect(resolveConnection({ dir: '/nowhere' }, { env: {}, readText })).rejects.toThrow(/no server is running/);
  });
});
