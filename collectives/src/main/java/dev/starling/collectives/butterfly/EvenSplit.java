package dev.starling.collectives.butterfly;

/** {@link PartSplit#even()}: parts differ in length by at most one element. Stateless. */
final class EvenSplit implements PartSplit {
    static final EvenSplit INSTANCE = new EvenSplit();

    private EvenSplit() {
    }

    @Override
    public int offset(final int part, final int parts, final int length) {
        int base = length / parts;
        int extra = length % parts;
        return part * base + Math.min(part, extra);
    }

    @Override
    public int length(final int part, final int parts, final int length) {
        return length / parts + (part < length % parts ? 1 : 0);
    }
}
