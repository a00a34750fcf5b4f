package dev.starling.collectives.butterfly;

import dev.starling.collectives.CollectivesException;

/**
 * A member this member caught sending something invalid; what it sent was left out of the round.
 *
 * @param member   roster index of the sender
 * @param category who is at fault (BAD_PEER or PROTOCOL_VIOLATION)
 * @param reason   one line naming what was wrong
 */
public record PeerFault(int member, CollectivesException.Category category, String reason) {
}
