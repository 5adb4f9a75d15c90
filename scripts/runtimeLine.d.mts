export declare function judgePin(pinned: string, published: readonly string[]): { error: string } | { line: number; newest: string; behind: boolean };
