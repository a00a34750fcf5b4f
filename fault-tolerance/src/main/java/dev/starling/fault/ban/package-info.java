/**
 * Bans: which peers are refused from which run, from reproducible evidence (reducer verification verdicts) or
 * accumulated strikes. I/O-free.
 */
package dev.starling.fault.ban;
