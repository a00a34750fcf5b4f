package dev.starling.peer.cli;

import dev.starling.protocol.admission.AdmissionException;
import dev.starling.protocol.admission.JoinToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads {@code starling peer --token}: the token text, or {@code @FILE} holding it. One-line errors. */
final class JoinTokens {
    private static final long MAX_FILE_BYTES = 4096;

    private JoinTokens() {
    }

    static JoinToken fromFlag(String value) {
        if (value == null) {
            return null;
        }
        String text = value;
        if (value.startsWith("@")) {
            Path file = Path.of(value.substring(1));
            try {
                if (Files.size(file) > MAX_FILE_BYTES) {
                    throw new UserError("--token file " + file + " is over " + MAX_FILE_BYTES + " bytes; it should"
                            + " hold one token");
                }
                text = Files.readString(file);
            } catch (IOException e) {
                throw new UserError("cannot read --token file " + file + ": " + e.getMessage(), e);
            }
        }
        try {
            return JoinToken.fromText(text);
        } catch (AdmissionException e) {
            throw new UserError("--token: " + e.getMessage() + "; paste the \"token\" value 'starling token' printed",
                    e);
        }
    }
}
