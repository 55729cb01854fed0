/** The MiniObserv version both programs report (agents send it; the server shows it per host). */
export const VERSION = "0.1.0";
