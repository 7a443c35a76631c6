/**
 * oidc-provider storage in this process's memory (the stand-in is one process and forgets
 * everything when stopped, as a test wants). One store per stand-in, so two never share state.
 */
export function memoryAdapterFactory() {
  const items = new Map();
  const grants = new Map();
  const key = (model, id) => `${model}:${id}`;
  const live = (entry) =>
    entry !== undefined && (entry.expiresAt === undefined || entry.expiresAt > Date.now()) ? entry.payload : undefined;

  return class MemoryAdapter {
    constructor(model) {
      this.model = model;
    }
    async upsert(id, payload, expiresIn) {
      items.set(key(this.model, id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
      if (payload.grantId !== undefined) {
        const ids = grants.get(payload.grantId) ?? [];
        ids.push(key(this.model, id));
        grants.set(payload.grantId, ids);
      }
    }
    async find(id) {
      return live(items.get(key(this.model, id)));
    }
    async findByUid(uid) {
      for (const [name, entry] of items) if (name.startsWith(`${this.model}:`) && entry.payload.uid === uid) return live(entry);
      return undefined;
    }
    async findByUserCode(userCode) {
      for (const [name, entry] of items) if (name.startsWith(`${this.model}:`) && entry.payload.userCode === userCode) return live(entry);
      return undefined;
    }
    async consume(id) {
      const entry = items.get(key(this.model, id));
      if (entry !== undefined) entry.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id) {
      items.delete(key(this.model, id));
    }
    async revokeByGrantId(grantId) {
      for (const name of grants.get(grantId) ?? []) items.delete(name);
      grants.delete(grantId);
    }
  };
}
