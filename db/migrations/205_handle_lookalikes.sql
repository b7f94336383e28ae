-- Handles that pass for someone else (README, "Personal pay link"): a
-- handle's skeleton is what it reads as once letters that look alike are
-- made one. Lower case, accents dropped, everything but a-z and 0-9 taken
-- out, then the ASCII look-alikes of Unicode's confusables (UTS #39) folded:
-- 0 -> o, 1 and i -> l, rn -> m, vv -> w. A handle whose skeleton is
-- another person's display name's, or another person's handle's, is
-- refused. The same function serves both, so they can never disagree, and
-- db.handleSkeleton (Go, for the reserved words) is checked against it by
-- a test. Accents are listed in both cases: lower() leaves non-ASCII
-- letters alone under the C collation.
CREATE FUNCTION name_skeleton(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN replace(replace(translate(regexp_replace(translate(
	replace(replace(replace(replace(replace(lower(t), 'ß', 'ss'), 'æ', 'ae'), 'Æ', 'ae'), 'œ', 'oe'), 'Œ', 'oe'),
	'àÀáÁâÂãÃäÄåÅāĀăĂąĄǎǍạẠảẢçÇćĆĉĈċĊčČďĎđĐèÈéÉêÊëËēĒĕĔėĖęĘěĚẹẸẻẺẽẼĝĜğĞġĠģĢĥĤħĦìÌíÍîÎïÏĩĨīĪĭĬįĮıIǐǏịỊỉỈĵĴķĶĺĹļĻľĽŀĿłŁñÑńŃņŅňŇǹǸòÒóÓôÔõÕöÖøØōŌŏŎőŐǒǑọỌỏỎơƠŕŔŗŖřŘśŚŝŜşŞšŠșȘţŢťŤŧŦțȚùÙúÚûÛüÜũŨūŪŭŬůŮűŰųŲǔǓụỤủỦưƯŵŴýÝÿŸŷŶỳỲźŹżŻžŽ',
	'aaaaaaaaaaaaaaaaaaaaaaaaccccccccccddddeeeeeeeeeeeeeeeeeeeeeeeegggggggghhhhiiiiiiiiiiiiiiiiiiiiiiiijjkkllllllllllnnnnnnnnnnoooooooooooooooooooooooooorrrrrrssssssssssttttttttuuuuuuuuuuuuuuuuuuuuuuuuuuuuwwyyyyyyyyzzzzzz'),
	'[^a-z0-9]', '', 'g'), '01i', 'oll'), 'rn', 'm'), 'vv', 'w');

CREATE INDEX users_name_skeleton ON users (name_skeleton(display_name));
CREATE INDEX handles_skeleton ON handles (name_skeleton(handle_key));
