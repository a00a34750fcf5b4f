package dev.starling.collectives.butterfly;

/**
 * How a vector of {@code length} elements is cut into {@code parts} contiguous parts; part i is reduced by roster
 * member i. Implementations must be pure functions so every member computes the same split.
 */
public interface PartSplit {

    /**
     * First element of a part.
     *
     * @param part   part index in [0, parts)
     * @param parts  number of parts (group size)
     * @param length vector length
     * @return the offset
     */
    int offset(int part, int parts, int length);

    /**
     * Elements in a part.
     *
     * @param part   part index in [0, parts)
     * @param parts  number of parts
     * @param length vector length
     * @return the part length (may be 0 when length &lt; parts)
     */
    int length(int part, int parts, int length);

    /**
     * Equal parts: the first {@code length % parts} parts get one element more.
     *
     * @return the even split
     */
    static PartSplit even() {
        return EvenSplit.INSTANCE;
    }
}
