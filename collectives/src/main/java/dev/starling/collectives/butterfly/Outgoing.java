package dev.starling.collectives.butterfly;

import java.lang.foreign.MemorySegment;

/**
 * A chunk the caller must send: to roster member {@code to}. The chunk is a fresh heap segment that the caller
 * owns; the state machine keeps no reference to it.
 *
 * @param to    receiver's roster index
 * @param chunk the encoded chunk (header and payload)
 */
public record Outgoing(int to, MemorySegment chunk) {
}
