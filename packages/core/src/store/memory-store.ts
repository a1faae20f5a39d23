// placeholder: implemented by the MemoryStore task
export interface MemoryStoreOptions {}
export class MemoryStore {}
