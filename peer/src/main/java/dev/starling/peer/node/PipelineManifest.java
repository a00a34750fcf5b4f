package dev.starling.peer.node;

import dev.starling.peer.cli.UserError;
import dev.starling.protocol.manifest.RunManifest;

/**
 * What {@code starling peer} does with a manifest's stage layout ({@code [model] stages}): the pipeline pieces
 * (stage peers, routing, CheckFree recovery) exist in {@code dev.starling.training.pipeline} and run in
 * {@code starling experiment checkfree} and the tests, but the daemon does not serve stages yet, so it refuses a
 * manifest with more than one stage instead of silently training whole-model replicas. Stateless.
 */
public final class PipelineManifest {
    private PipelineManifest() {
    }

    /**
     * Refuses a run this daemon cannot honour.
     *
     * @param manifest the run
     * @throws UserError when the manifest cuts the model into pipeline stages
     */
    public static void requireWholeModel(RunManifest manifest) {
        int stages = manifest.model().stages();
        if (stages > 1) {
            throw new UserError("this run cuts the model into " + stages + " pipeline stages, which `starling peer` "
                    + "cannot serve yet; join a run with stages = 1 (pipeline stages run in `starling experiment "
                    + "checkfree`)");
        }
    }
}
