export declare const ROOT: string;
export declare const ENTRY: string;
export declare function ensureBundle(): Promise<string>;
