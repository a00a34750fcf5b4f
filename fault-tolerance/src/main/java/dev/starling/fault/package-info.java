/**
 * Fault tolerance: membership and failure detection, state sync for joiners, bit-parity checks, bans and
 * CheckFree stage recovery. Decision logic is I/O-free with an injected clock; see the module README.
 */
package dev.starling.fault;
