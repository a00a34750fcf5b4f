/**
 * The byzantine experiment: a DiLoCo group in this JVM with some peers attacking (their updates, or the parts they
 * reduce) against each robust aggregator, with reducer verification and bans for CenteredClip. Single-threaded
 * simulation on the in-process exchange; the kernels use the caller's worker team.
 */
package dev.starling.training.byzantine;
