package dev.starling.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class FlatLayoutTest {
    @Test
    void shouldPackViewsBackToBackInOneBuffer() {
        FlatLayout.Builder b = FlatLayout.builder();
        b.add("a", 2, 3);
        b.add("b", 4);
        b.add("c", 1, 2, 2);
        FlatLayout layout = b.build();
        assertEquals(14, layout.size());
        assertEquals(0, layout.view("a").offset());
        assertEquals(6, layout.view("b").offset());
        assertEquals(10, layout.view("c").offset());
        assertEquals(3, layout.view("c").rank());
        try (FlatBuffer params = new FlatBuffer(layout)) {
            assertEquals(14, params.data().length);
            params.data()[params.offset("b")] = 5f;
            params.zero();
            assertEquals(0f, params.data()[6]);
        }
    }

    @Test
    void shouldRejectUnknownNamesBadShapesAndUseAfterClose() {
        FlatLayout layout = FlatLayout.builder().build();
        assertThrows(IllegalArgumentException.class, () -> layout.view("nope"));
        assertThrows(IllegalArgumentException.class, () -> FlatLayout.builder().add("z", 0));
        assertThrows(IllegalArgumentException.class, () -> FlatLayout.builder().add("big", 1 << 16, 1 << 16));
        FlatBuffer buf = new FlatBuffer(layout);
        buf.close();
        assertThrows(IllegalStateException.class, buf::data);
    }
}
