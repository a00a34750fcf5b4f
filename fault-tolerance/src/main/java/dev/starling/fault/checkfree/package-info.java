/**
 * CheckFree and CheckFree+ stage recovery (Blagoev et al. 2025, "All is Not Lost: LLM Recovery without
 * Checkpoints"), I/O-free over flat float buffers: {@link dev.starling.fault.checkfree.CheckFree} rebuilds a lost
 * stage from its neighbours, {@link dev.starling.fault.checkfree.RecoveryPlan} says where each strategy takes a lost
 * stage's weights from, {@link dev.starling.fault.checkfree.OutOfOrderSchedule} is CheckFree+'s stage swapping and
 * {@link dev.starling.fault.checkfree.StageFailureSchedule} the paper's failure model scaled to a run's length.
 */
package dev.starling.fault.checkfree;
