export declare function openFilledPipe(fifo: string, input: string | Uint8Array): number;
