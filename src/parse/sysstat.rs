//! What sysstat's tools share: the banner line, time stamps, header rows. (Being written.)
