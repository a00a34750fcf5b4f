package dev.starling.protocol.manifest;

/**
 * The checks that span several keys, run after every single value has been ranged. Each failure
 * names the keys involved and their values.
 */
final class ManifestRules {
    private ManifestRules() {
    }

    static RunManifest check(RunManifest m) {
        RunManifest.Model model = m.model();
        if (model.channels() % model.heads() != 0) {
            throw new ManifestException("manifest: [model] channels (" + model.channels()
                    + ") must be a multiple of heads (" + model.heads() + ")");
        }
        if (model.layers() % model.stages() != 0) {
            throw new ManifestException("manifest: [model] layers (" + model.layers()
                    + ") must be a multiple of stages (" + model.stages() + "): stages hold equal blocks");
        }
        if (m.inner().minLr() > m.inner().lr()) {
            throw new ManifestException("manifest: [inner] min_lr (" + m.inner().minLr()
                    + ") must not exceed lr (" + m.inner().lr() + ")");
        }
        if (m.group().minSize() > m.group().maxSize()) {
            throw new ManifestException("manifest: [group] min_size (" + m.group().minSize()
                    + ") must not exceed max_size (" + m.group().maxSize() + ")");
        }
        if (!"co2".equals(m.outer().optimizer())
                && (m.outer().stalenessPenalty() != 0.0 || m.outer().momentumClip() != 0.0)) {
            throw new ManifestException("manifest: [outer] staleness_penalty and momentum_clip apply only to"
                    + " optimizer = \"co2\"; remove them or set optimizer = \"co2\"");
        }
        if ("allowlist".equals(m.admission().policy()) && m.admission().allowlist().isEmpty()) {
            throw new ManifestException("manifest: [admission] policy = \"allowlist\" needs a non-empty allowlist"
                    + " of peer ids");
        }
        if (!"allowlist".equals(m.admission().policy()) && !m.admission().allowlist().isEmpty()) {
            throw new ManifestException("manifest: [admission] allowlist is set but policy is \""
                    + m.admission().policy() + "\"; set policy = \"allowlist\" or remove the list");
        }
        return m;
    }
}
